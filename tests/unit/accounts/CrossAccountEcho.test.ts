import { describe, expect, it } from 'vitest'
import { CrossAccountEcho } from '../../../src/runtime/CrossAccountEcho.js'

describe('CrossAccountEcho', () => {
  it('another account’s copy within the window is the same message; the same account again is a new one', () => {
    const echo = new CrossAccountEcho(10_000)
    expect(echo.first('k', 'a', 1_000, 1_000)).toBe(true)
    expect(echo.first('k', 'b', 1_500, 1_500)).toBe(false)
    // a second message with the same text: new from a, and b's copy of it is again a copy
    expect(echo.first('k', 'a', 2_000, 2_000)).toBe(true)
    expect(echo.first('k', 'b', 2_100, 2_100)).toBe(false)
    // b's third copy has no original left
    expect(echo.first('k', 'b', 2_200, 2_200)).toBe(true)
    // outside the window: a new message
    expect(echo.first('k', 'a', 40_000, 40_000)).toBe(true)
    expect(echo.first('other', 'b', 40_000, 40_000)).toBe(true)
  })
})
