// The parser lives in $shared: the desktop's main process reads the same stream in remote mode.
export { SseParser, type SseMessage } from '$shared/sse-parser';
