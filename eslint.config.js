// ESLint (flat config): the recommended rules of ESLint and typescript-eslint, tuned to this
// codebase, plus the line limit of 120 for code and comments (prettier formats code to it;
// scripts/wrap-comments.mjs wraps comments). Long string literals may run past it.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'native/', 'data/', 'docker/', '**/fixtures/', '.gymnos/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'max-len': [
        'error',
        {
          code: 120,
          tabWidth: 2,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
          ignoreTrailingComments: true,
        },
      ],
      // `_name` marks a deliberately unused binding (a destructured key left out, a required parameter)
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
      // an empty catch says why in a comment; an empty function is a deliberate no-op
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/no-empty-function': 'off',
      // `let [a, b] = ...` where only some are reassigned stays one declaration
      'prefer-const': ['error', { destructuring: 'all' }],
      // `!` after a check the compiler cannot follow (a Map lookup just filled) is common and safe
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `a && b()` and `c ? d() : e()` as statements
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // control characters are what the printable/escaping code looks for
      'no-control-regex': 'off',
    },
  },
);
