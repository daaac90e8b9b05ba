import type { Namespace } from '../store/Store.js'

const HOUR = 3_600_000

/**
 * Durable slots for actions limited per hour (gate's invites, guard's removals): take the next
 * slot under `perHour`, so actions go out in the order decided and no 60 minutes hold more than
 * `perHour` of them. The slots are stored at `key` in `ns` (read and written in one turn).
 * Returns when this action may go.
 */
export function takeHourlySlot(ns: Namespace, key: string, now: number, perHour: number): number {
  const slots = (ns.get<number[]>(key) ?? []).filter((t) => t > now - HOUR)
  let at = Math.max(now, slots[slots.length - 1] ?? now)
  if (slots.length >= perHour) at = Math.max(at, slots[slots.length - perHour]! + HOUR)
  slots.push(at)
  ns.set(key, slots)
  return at
}
