// JSON Schema of the speaker's static configuration file (DESIGN §2.1). Shapes only: values that
// need parsing (durations, addresses, prefixes, communities) are checked in parse.ts, which names
// the field in every error.

const duration = { type: ['string', 'number'] } as const;
const name = { type: 'string', minLength: 1 } as const;
const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** Schema of the static configuration file; unknown fields are allowed ("fields beyond these are welcome"). */
export const staticConfigSchema = {
  type: 'object',
  required: ['node'],
  properties: {
    node: name,
    membership: {
      type: 'object',
      required: ['key', 'address'],
      properties: {
        key: name,
        previousKey: name,
        address: name,
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        interval: duration,
        multiplier: { type: 'integer', minimum: 1, maximum: 1000 },
        peers: {
          type: 'array',
          items: { type: 'object', required: ['node', 'address'], properties: { node: name, address: name } },
        },
      },
    },
    l2: {
      type: 'object',
      properties: {
        classes: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'nodes'],
            properties: { name, interfaces: strings, nodes: strings },
          },
        },
        services: {
          type: 'array',
          items: {
            type: 'object',
            required: ['namespace', 'name', 'class', 'ips'],
            properties: {
              namespace: name,
              name,
              class: name,
              sharingKey: name,
              ips: { ...strings, minItems: 1 },
              externalTrafficPolicy: { enum: ['Cluster', 'Local'] },
              endpointNodes: strings,
            },
          },
        },
      },
    },
    bgp: {
      type: 'object',
      properties: {
        routerID: name,
        peers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['address', 'asn', 'myASN'],
            properties: {
              address: name,
              asn: { type: 'integer' },
              myASN: { type: 'integer' },
              port: { type: 'integer', minimum: 1, maximum: 65535 },
              holdTime: duration,
              password: { type: 'string' },
              sourceAddress: name,
              ebgpMultihop: { type: 'boolean' },
              gtsm: { type: 'boolean' },
              gracefulRestart: { type: 'boolean' },
              bfd: {
                type: 'object',
                properties: {
                  receiveInterval: duration,
                  transmitInterval: duration,
                  detectMultiplier: { type: 'integer', minimum: 1, maximum: 255 },
                },
              },
            },
          },
        },
        advertisements: {
          type: 'array',
          items: {
            type: 'object',
            required: ['prefixes'],
            properties: {
              prefixes: strings,
              peers: strings,
              communities: strings,
              largeCommunities: strings,
              localPref: { type: 'integer', minimum: 0, maximum: 4294967295 },
            },
          },
        },
      },
    },
    metrics: {
      type: 'object',
      properties: { address: name, port: { type: 'integer', minimum: 0, maximum: 65535 } },
    },
  },
} as const;
