-- The sign-in limit counts attempts per account by a hash of the e-mail typed, not the e-mail
-- itself: an e-mail that belongs to no account is not stored. The rows kept so far are hashed the
-- same way (see loginAccountKey in src/modules/accounts/accounts.service.ts), so the limits in force
-- carry over.
UPDATE login_failures SET email = encode(sha256(convert_to('login:' || lower(email), 'UTF8')), 'hex');
--> statement-breakpoint
ALTER TABLE login_failures RENAME COLUMN email TO account_key;
--> statement-breakpoint
ALTER INDEX login_failures_email_idx RENAME TO login_failures_account_idx;
