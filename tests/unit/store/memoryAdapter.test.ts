import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { adapterContract } from './adapterContract.js'

adapterContract('MemoryAdapter', async () => ({
  fresh: async () => new MemoryAdapter(),
  cleanup: async () => {},
}))
