/**
 * The one piece of Node's Buffer that shared code run in the browser uses (rules/validate-rule.ts
 * measures a rule's UTF-8 size). web/build.ts injects it as the global `Buffer` of the bundle.
 */
const encoder = new TextEncoder()

export const Buffer = {
  byteLength(text: string): number {
    return encoder.encode(text).length
  },
}
