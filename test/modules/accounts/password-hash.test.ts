import { sql } from 'drizzle-orm';
import t from 'tap';
import { DEFAULT_PASSWORD_HASH, loadConfig } from '../../../src/config.ts';
import { system } from '../../../src/lib/principal.ts';
import { createAccountService } from '../../../src/modules/accounts/accounts.service.ts';
import { createMunicipalityService } from '../../../src/modules/municipalities/municipalities.service.ts';
import { openTestDatabase, TEST_ENV, testConfig } from '../../helper.ts';

const PASSWORD = 'en lang og hemmelig adgangskode';

t.test('argon2id cost: the library default unless configured, and each hash keeps its own', async (t) => {
  t.same(DEFAULT_PASSWORD_HASH, { memoryKib: 19_456, passes: 2 }, '19 MiB and 2 passes');
  t.same(loadConfig({}).passwordHash, DEFAULT_PASSWORD_HASH, 'production runs with the default');
  t.same(testConfig().passwordHash, { memoryKib: 1024, passes: 1 }, 'the tests run cheaper');
  t.same(
    loadConfig({ PASSWORD_HASH_MEMORY_KIB: '65536', PASSWORD_HASH_PASSES: '3' }).passwordHash,
    { memoryKib: 65_536, passes: 3 },
    'and an operator may raise it',
  );
  t.throws(() => loadConfig({ PASSWORD_HASH_MEMORY_KIB: '512' }), /PASSWORD_HASH_MEMORY_KIB/, 'not below 1 MiB');
  t.throws(() => loadConfig({ PASSWORD_HASH_PASSES: '0' }), /PASSWORD_HASH_PASSES/, 'at least one pass');

  const database = await openTestDatabase(t);
  const municipalities = createMunicipalityService(database);
  const production = createAccountService(database.db, loadConfig({}), municipalities);
  const cheap = createAccountService(database.db, loadConfig(TEST_ENV), municipalities);
  const user = (email: string) => ({
    email,
    name: 'Hash',
    password: PASSWORD,
    role: 'viewer' as const,
    municipalityCode: 101,
  });
  await production.createUser(system, user('standard@kk.dk'), { system: true });
  await cheap.createUser(system, user('billig@kk.dk'), { system: true });
  const hashes = Object.fromEntries(
    (
      await database.rows<{ email: string; password_hash: string }>(
        sql`select email, password_hash from users where email in ('standard@kk.dk', 'billig@kk.dk')`,
      )
    ).map((r) => [r.email, r.password_hash]),
  );
  t.match(hashes['standard@kk.dk'], /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'the default cost is in the hash');
  t.match(hashes['billig@kk.dk'], /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/, 'and the configured one');

  // A hash is checked at the cost it names: changing the setting locks nobody out.
  t.ok((await production.login('billig@kk.dk', PASSWORD, '127.0.0.1')).token, 'a cheap hash signs in on the default');
  t.ok((await cheap.login('standard@kk.dk', PASSWORD, '127.0.0.1')).token, 'and a default one on the cheap setting');
  await t.rejects(
    production.login('standard@kk.dk', 'et forkert kodeord, desværre', '127.0.0.1'),
    'a wrong password fails',
  );
});
