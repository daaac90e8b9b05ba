import { fileURLToPath } from 'node:url'
import type { FastifyRequest } from 'fastify'
import { ErrorBody, type ConsoleSection } from '../../../src/console/extensions.js'
import { ChainDesk } from './ChainDesk.js'
import { ChainParams, ChainShape, ChainsQuery } from './schemas.js'

/**
 * 接龙 / Chains — the chain skill's section of the console (CONTRACT §12): every chain with its
 * joiners (`GET /api/chains`), one chain (`GET /api/chains/<group>/<id>`), its list as CSV for
 * Excel (`GET /api/chains/<group>/<id>.csv`), and closing one as `#接龙 结束` does
 * (`POST /api/chains/<group>/<id>/close`). Declared by the skill (`console: chainsSection`).
 */
function noBodyIsEmpty(req: FastifyRequest, _reply: unknown, done: () => void): void {
  req.body ??= {}
  done()
}

export const chainsSection: ConsoleSection = {
  id: 'chains',
  title: '接龙 Chains',
  order: 60,
  routes(api) {
    const { app, deps } = api
    const desk = new ChainDesk(deps)
    app.get(
      '/api/chains',
      { schema: { summary: 'chain (接龙): every chain with its joiners, newest first (?group=, ?status=open|closed|all)', querystring: ChainsQuery, response: { 200: ChainShape.array(), 400: ErrorBody, 404: ErrorBody } } },
      (req) => desk.list(req.query),
    )
    app.get(
      '/api/chains/:group/:id',
      { schema: { summary: 'chain (接龙): one chain with its joiners', params: ChainParams, response: { 200: ChainShape, 400: ErrorBody, 404: ErrorBody } } },
      (req) => desk.get(req.params.group, req.params.id),
    )
    app.get(
      '/api/chains/:group/:id.csv',
      {
        schema: {
          summary: "chain (接龙): the list as CSV (UTF-8 with BOM, opens in Excel): place (候补N on the waitlist), name, note, when, contact id, how they joined",
          params: ChainParams,
          response: { 400: ErrorBody, 404: ErrorBody },
        },
      },
      (req, reply) => {
        const { name, text } = desk.csv(req.params.group, req.params.id)
        // a text body, not JSON (no 200 schema: the zod serializer would quote it)
        void reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${encodeURIComponent(name)}"; filename*=UTF-8''${encodeURIComponent(name)}`)
          .send(text as never)
      },
    )
    app.post(
      '/api/chains/:group/:id/close',
      {
        schema: { summary: 'chain (接龙): close an open chain and post the final list in its room, as #接龙 结束', params: ChainParams, response: { 200: ChainShape, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } },
        preValidation: noBodyIsEmpty,
      },
      async (req) => {
        const via = api.via(req)
        const chain = desk.close(req.params.group, req.params.id, via)
        api.audit(req, 'chain close', { group: req.params.group, chain: chain.id, joined: chain.joined, waiting: chain.waiting })
        await deps.store.durable()
        return chain
      },
    )
  },
  page: fileURLToPath(new URL('./page.js', import.meta.url)),
}
