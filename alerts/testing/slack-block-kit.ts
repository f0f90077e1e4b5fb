/**
 * Checks a Slack incoming-webhook payload against Block Kit's documented shape and limits
 * (https://api.slack.com/reference/block-kit/blocks, .../composition-objects#text,
 * .../block-elements#button, https://api.slack.com/messaging/webhooks): returns every
 * problem as "path: what", empty when the payload is valid. Covers the blocks adwatch uses
 * (header, section, divider, context, actions with buttons); any other block type is a problem.
 */
export function validateSlackMessage(payload: unknown): string[] {
  const p: string[] = []
  if (!isObject(payload)) return ['$: must be an object']
  const known = new Set(['text', 'blocks', 'attachments', 'thread_ts', 'mrkdwn', 'unfurl_links', 'unfurl_media'])
  for (const k of Object.keys(payload)) if (!known.has(k)) p.push(`$.${k}: not a field of an incoming-webhook message`)
  if (payload.text !== undefined && (typeof payload.text !== 'string' || payload.text.length > 40_000)) p.push('$.text: must be a string of at most 40000 characters')
  if (payload.blocks === undefined) {
    if (typeof payload.text !== 'string' || payload.text === '') p.push('$: a message needs text or blocks')
    return p
  }
  if (typeof payload.text !== 'string' || payload.text === '') p.push('$.text: a fallback text is required with blocks (notifications and screen readers show it)')
  if (!Array.isArray(payload.blocks)) return [...p, '$.blocks: must be an array']
  if (payload.blocks.length === 0) p.push('$.blocks: must not be empty')
  if (payload.blocks.length > 50) p.push(`$.blocks: ${payload.blocks.length} blocks; at most 50`)
  const blockIds = new Set<string>()
  payload.blocks.forEach((b, i) => p.push(...validateBlock(b, `$.blocks[${i}]`, blockIds)))
  return p
}

function validateBlock(b: unknown, path: string, blockIds: Set<string>): string[] {
  const p: string[] = []
  if (!isObject(b)) return [`${path}: must be an object`]
  if (b.block_id !== undefined) {
    if (typeof b.block_id !== 'string' || b.block_id.length > 255) p.push(`${path}.block_id: string of at most 255 characters`)
    else if (blockIds.has(b.block_id)) p.push(`${path}.block_id: "${b.block_id}" is not unique`)
    else blockIds.add(b.block_id)
  }
  const allowed = (keys: string[]) => {
    for (const k of Object.keys(b)) if (![...keys, 'type', 'block_id'].includes(k)) p.push(`${path}.${k}: not a field of a ${String(b.type)} block`)
  }
  switch (b.type) {
    case 'header':
      allowed(['text'])
      p.push(...validateText(b.text, `${path}.text`, 150, 'plain_text'))
      break
    case 'section':
      allowed(['text', 'fields', 'accessory'])
      if (b.text === undefined && b.fields === undefined) p.push(`${path}: a section needs text or fields`)
      if (b.text !== undefined) p.push(...validateText(b.text, `${path}.text`, 3000))
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > 10) p.push(`${path}.fields: 1 to 10 text objects`)
        else b.fields.forEach((f, i) => p.push(...validateText(f, `${path}.fields[${i}]`, 2000)))
      }
      break
    case 'divider':
      allowed([])
      break
    case 'context':
      allowed(['elements'])
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) p.push(`${path}.elements: 1 to 10 text or image elements`)
      else b.elements.forEach((e, i) => {
        if (isObject(e) && e.type === 'image') {
          if (typeof e.image_url !== 'string' || typeof e.alt_text !== 'string') p.push(`${path}.elements[${i}]: an image needs image_url and alt_text`)
        } else p.push(...validateText(e, `${path}.elements[${i}]`, 3000))
      })
      break
    case 'actions':
      allowed(['elements'])
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) p.push(`${path}.elements: 1 to 25 elements`)
      else b.elements.forEach((e, i) => p.push(...validateButton(e, `${path}.elements[${i}]`)))
      break
    default:
      p.push(`${path}.type: "${String(b.type)}" is not a block this validator knows (header, section, divider, context, actions)`)
  }
  return p
}

function validateText(t: unknown, path: string, maxChars: number, only?: 'plain_text' | 'mrkdwn'): string[] {
  if (!isObject(t)) return [`${path}: must be a text object`]
  const p: string[] = []
  if (t.type !== 'plain_text' && t.type !== 'mrkdwn') p.push(`${path}.type: must be plain_text or mrkdwn`)
  if (only !== undefined && t.type !== only) p.push(`${path}.type: must be ${only} here`)
  if (typeof t.text !== 'string' || t.text.length === 0) p.push(`${path}.text: must be a non-empty string`)
  else if (t.text.length > maxChars) p.push(`${path}.text: ${t.text.length} characters; at most ${maxChars}`)
  for (const k of Object.keys(t)) {
    if (k === 'type' || k === 'text') continue
    if (k === 'emoji' && t.type === 'plain_text' && typeof t.emoji === 'boolean') continue
    if (k === 'verbatim' && t.type === 'mrkdwn' && typeof t.verbatim === 'boolean') continue
    p.push(`${path}.${k}: not a field of a ${String(t.type)} text object`)
  }
  return p
}

function validateButton(e: unknown, path: string): string[] {
  if (!isObject(e) || e.type !== 'button') return [`${path}: adwatch only sends buttons here`]
  const p = validateText(e.text, `${path}.text`, 75, 'plain_text')
  if (e.action_id !== undefined && (typeof e.action_id !== 'string' || e.action_id.length > 255)) p.push(`${path}.action_id: at most 255 characters`)
  if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000 || !/^https?:\/\//.test(e.url))) p.push(`${path}.url: an http(s) URL of at most 3000 characters`)
  if (e.value !== undefined && (typeof e.value !== 'string' || e.value.length > 2000)) p.push(`${path}.value: at most 2000 characters`)
  if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') p.push(`${path}.style: primary or danger`)
  return p
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
