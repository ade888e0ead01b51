// Every failure leaves as an ApiErrorBody with a message for a person: engine errors keep their
// code and problems, framework errors (bad JSON, too large, schema) become 4xx, and anything
// unexpected is a bare 500 (details go to the log, never a stack trace to the client).

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SECURITY_HEADERS } from './headers.js';
import { HTTP_STATUS_OF, MonitorError, type ApiErrorBody } from '../shared/api.js';
import type { Problem } from '../shared/model.js';
import type { Logger } from '../core/ports.js';

type SchemaIssue = NonNullable<FastifyError['validation']>[number];

function schemaProblem(issue: SchemaIssue, context: string | undefined): Problem {
  const missing = (issue.params as { missingProperty?: string }).missingProperty;
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = [path, missing].filter(Boolean).join('.') || (context ?? 'body');
  return { field, message: issue.message ?? 'is not valid' };
}

function describe(error: FastifyError): { status: number; body: ApiErrorBody } {
  if (error instanceof MonitorError) return { status: HTTP_STATUS_OF[error.code], body: error.toBody() };
  if (error.validation) {
    const problems = error.validation.map((issue) => schemaProblem(issue, error.validationContext));
    const message = `invalid request ${error.validationContext ?? 'body'}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`;
    return { status: 400, body: { error: 'invalid', message, problems } };
  }
  const status = error.statusCode ?? 500;
  if (status === 413) return { status, body: { error: 'too-large', message: 'the request body is too large' } };
  if (status >= 400 && status < 500) {
    return { status, body: { error: status === 404 ? 'not-found' : 'invalid', message: clientMessage(error) } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error; see the service log' } };
}

function clientMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return 'the request body is not valid JSON';
  }
  return error.message;
}

export function installErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = describe(error);
    if (status >= 500) {
      // The message only: a stack or the request could carry secrets into the log.
      log.error('request failed', {
        method: request.method,
        route: request.routeOptions.url,
        error: String(error.message),
      });
    }
    void reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const body: ApiErrorBody = { error: 'not-found', message: `no such resource: ${request.method} ${path}` };
    void reply.code(404).type('application/json; charset=utf-8').send(body);
  });
}

/**
 * Fastify's `frameworkErrors`: what fails before routing (malformed percent-encoding such as
 * `/%ff`, an over-long parameter) runs before every hook, so it gets the security headers and the
 * project's error shape here, and never the raw URL reflected back.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const body: ApiErrorBody =
    error.code === 'FST_ERR_BAD_URL'
      ? { error: 'invalid', message: 'the address is not valid: it has malformed percent-encoding' }
      : { error: 'invalid', message: 'the request cannot be routed: a part of its address is too long or malformed' };
  void reply.code(400).headers(SECURITY_HEADERS).type('application/json; charset=utf-8').send(body);
}
