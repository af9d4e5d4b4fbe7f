// One style for the whole checkout: neostandard (the `standard` style for ESLint 9),
// with its TypeScript rules. `npm run lint` runs it; `npm test` runs lint first.
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['.cache/**', 'node_modules/**', 'kmod/**'] }),
]
