import ms from 'ms'

/**
 * `10m`, `1h`, `1d`, `30s` (also `1.5h`, `2 days`): milliseconds, or undefined when it is
 * not a duration. Parsing is the `ms` package's; we only insist on a unit.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim()
  if (!/^\d+(\.\d+)?\s*[a-zA-Z]+$/.test(s)) return undefined
  const v = ms(s as ms.StringValue)
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined
}

/**
 * A duration in Chinese, largest units first: `1天2小时`, `10分钟`, `30秒`. By hand because
 * luxon's toHuman lists zero units ("0分钟") and joins them with separators chat does not use.
 */
export function humanDurationZh(millis: number): string {
  let s = Math.max(0, Math.round(millis / 1000))
  const d = Math.floor(s / 86400)
  s -= d * 86400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  const parts = [d && `${d}天`, h && `${h}小时`, m && `${m}分钟`, !d && !h && s ? `${s}秒` : ''].filter(Boolean)
  return parts.length > 0 ? parts.join('') : '0分钟'
}
