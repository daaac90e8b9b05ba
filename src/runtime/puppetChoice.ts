/** Which WeChat to talk to, from Wechaty's own environment variables (the contract, §1). */
export type PuppetChoice =
  | { kind: 'sandbox' }
  | { kind: 'service'; endpoint: string | undefined; tlsDisabled: boolean }
  | { kind: 'named'; name: string }

export function choosePuppet(env: NodeJS.ProcessEnv): PuppetChoice {
  const named = env.WECHATY_PUPPET?.trim()
  const token = env.WECHATY_PUPPET_SERVICE_TOKEN?.trim()
  if (named === 'wechaty-puppet-mock') return { kind: 'sandbox' }
  if (named && named !== 'wechaty-puppet-service') return { kind: 'named', name: named }
  if (named === 'wechaty-puppet-service' || token) {
    return {
      kind: 'service',
      endpoint: env.WECHATY_PUPPET_SERVICE_ENDPOINT?.trim() || undefined,
      tlsDisabled: env.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT === 'true',
    }
  }
  return { kind: 'sandbox' }
}
