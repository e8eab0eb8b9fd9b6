import { z } from 'zod';

/**
 * Zod's own messages become catalogue keys (see src/i18n), so the form and the API show them in
 * the reader's language. A schema's custom message is already a key and is left as it is.
 */
export function installZodMessages(): void {
  z.config({
    customError: (issue) => {
      switch (issue.code) {
        case 'invalid_type':
          return issue.input === undefined || issue.input === null ? 'validation.required' : 'validation.invalidType';
        case 'too_small':
          if (issue.origin === 'string')
            return Number(issue.minimum) <= 1 ? 'validation.required' : `validation.tooShort?minimum=${issue.minimum}`;
          if (issue.origin === 'array') return `validation.tooFewItems?minimum=${issue.minimum}`;
          // positive() is a minimum of 0 left out: "at least 0" would be wrong.
          if (issue.inclusive === false) return `validation.greaterThan?minimum=${issue.minimum}`;
          return `validation.tooSmall?minimum=${issue.minimum}`;
        case 'too_big':
          if (issue.origin === 'string') return `validation.tooLong?maximum=${issue.maximum}`;
          if (issue.origin === 'array') return `validation.tooManyItems?maximum=${issue.maximum}`;
          if (issue.inclusive === false) return `validation.lessThan?maximum=${issue.maximum}`;
          return `validation.tooBig?maximum=${issue.maximum}`;
        case 'invalid_format':
          if (issue.format === 'email') return 'validation.email';
          if (issue.format === 'url') return 'validation.url';
          return 'validation.format';
        case 'invalid_value':
          return 'validation.choice';
        case 'unrecognized_keys':
          return `validation.unknownKeys?keys=${issue.keys.join(', ')}`;
        default:
          return 'validation.invalid';
      }
    },
  });
}
