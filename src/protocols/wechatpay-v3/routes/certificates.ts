/** GET /v3/certificates (and the Global twin): the platform certificate, encrypted with the APIv3 key (spec §4). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { X509Certificate } from 'node:crypto';
import { aesGcmEncrypt, randomAlnum } from '../../../lib/crypto.ts';
import { rfc3339Cst } from '../../../lib/time.ts';
import type { GatewayDeps } from '../../../server-deps.ts';
import { callerOf, sendJson } from '../request-context.ts';

async function listCertificates(request: FastifyRequest, reply: FastifyReply) {
  const caller = callerOf(request);
  const secrets = caller.secrets;
  // The list is always signed with the certificate it lists, whatever mode the merchant uses.
  request.v3Caller = { ...caller, platformKey: { serial: secrets.platformSerialNo, privateKeyPem: secrets.platformPrivateKeyPem } };
  const algorithm = (request.query as Record<string, unknown>).algorithm_type;
  if (algorithm === 'SM2') return sendJson(reply, 200, { data: [] });
  const cert = new X509Certificate(secrets.platformCertificatePem);
  const nonce = randomAlnum(12);
  return sendJson(reply, 200, {
    data: [
      {
        serial_no: secrets.platformSerialNo,
        effective_time: rfc3339Cst(Date.parse(cert.validFrom)),
        expire_time: rfc3339Cst(Date.parse(cert.validTo)),
        encrypt_certificate: {
          algorithm: 'AEAD_AES_256_GCM',
          nonce,
          associated_data: 'certificate',
          ciphertext: aesGcmEncrypt(secrets.platformCertificatePem, secrets.apiV3Key, nonce, 'certificate'),
        },
      },
    ],
  });
}

export function certificateRoutes(_deps: GatewayDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/v3/certificates', listCertificates);
    app.get('/v3/global/certificates', listCertificates);
  };
}
