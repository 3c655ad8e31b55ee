// The media type alone, in a module of its own: naming it loads none of the
// protobuf codec, whose field tables load with the first protobuf body.
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
