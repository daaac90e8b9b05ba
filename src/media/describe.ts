import { formatBytes } from '../config/mediaContent.js'

/**
 * How a media message reads where it cannot be shown (the sandbox's terminal, logs):
 * `[图片 群规.png 120 KB]`, `[文件 价目表.pdf 80 KB]`, `[链接 今晚 8 点直播 https://…]`,
 * `[小程序 积分商城 pages/index]`.
 */
export type MediaShown =
  | { kind: 'image' | 'file'; name: string; bytes?: number }
  | { kind: 'link'; title: string; url: string }
  | { kind: 'miniProgram'; title: string; pagePath?: string }

export function describeMedia(m: MediaShown): string {
  switch (m.kind) {
    case 'image':
    case 'file':
      return `[${m.kind === 'image' ? '图片' : '文件'} ${m.name}${m.bytes === undefined ? '' : ` ${formatBytes(m.bytes)}`}]`
    case 'link':
      return `[链接 ${m.title} ${m.url}]`
    case 'miniProgram':
      return `[小程序 ${m.title}${m.pagePath ? ` ${m.pagePath}` : ''}]`
  }
}
