/** Extended key usage "TLS web client authentication" (RFC 5280 id-kp-clientAuth): a certificate that lists other usages only cannot log in. */
export const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
