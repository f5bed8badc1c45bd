/**
 * The SCIM schemas this server speaks (RFC 7643 §4, §8.7), as data: the discovery
 * endpoints serve them, and the filter and projection code read attribute names,
 * types and case rules from them.
 */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const ATLASSIAN_SCHEMA = 'urn:ietf:params:scim:schemas:extension:atlassian-external:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type AttributeType = 'string' | 'boolean' | 'dateTime' | 'reference' | 'complex' | 'integer';

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'default' | 'never' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  description?: string;
  subAttributes?: AttributeDefinition[];
  canonicalValues?: string[];
  referenceTypes?: string[];
}

const str = (name: string, extra: Partial<AttributeDefinition> = {}): AttributeDefinition => ({ name, type: 'string', ...extra });
const multi = (name: string, subAttributes: AttributeDefinition[], extra: Partial<AttributeDefinition> = {}): AttributeDefinition => ({
  name,
  type: 'complex',
  multiValued: true,
  subAttributes,
  ...extra,
});
const typedValues = (canonical: string[]) => [
  str('value'),
  str('display'),
  str('type', { canonicalValues: canonical }),
  { name: 'primary', type: 'boolean' as const },
];

export const USER_ATTRIBUTES: AttributeDefinition[] = [
  str('userName', { required: true, uniqueness: 'server', description: 'Unique identifier for the user; case-insensitive.' }),
  {
    name: 'name',
    type: 'complex',
    subAttributes: [str('formatted'), str('familyName'), str('givenName'), str('middleName'), str('honorificPrefix'), str('honorificSuffix')],
  },
  str('displayName'),
  str('nickName'),
  str('profileUrl', { type: 'reference', referenceTypes: ['external'] }),
  str('title'),
  str('userType'),
  str('preferredLanguage'),
  str('locale'),
  str('timezone'),
  { name: 'active', type: 'boolean' },
  str('password', { mutability: 'writeOnly', returned: 'never' }),
  multi('emails', typedValues(['work', 'home', 'other'])),
  multi('phoneNumbers', typedValues(['work', 'home', 'mobile', 'fax', 'pager', 'other'])),
  multi('addresses', [
    str('formatted'),
    str('streetAddress'),
    str('locality'),
    str('region'),
    str('postalCode'),
    str('country'),
    str('type'),
    { name: 'primary', type: 'boolean' },
  ]),
  multi(
    'groups',
    [
      str('value', { mutability: 'readOnly' }),
      str('$ref', { type: 'reference', mutability: 'readOnly' }),
      str('display', { mutability: 'readOnly' }),
      str('type', { mutability: 'readOnly' }),
    ],
    { mutability: 'readOnly' },
  ),
  multi('roles', typedValues([])),
];

export const ENTERPRISE_ATTRIBUTES: AttributeDefinition[] = [
  str('employeeNumber'),
  str('costCenter'),
  str('organization'),
  str('division'),
  str('department'),
  { name: 'manager', type: 'complex', subAttributes: [str('value'), str('$ref', { type: 'reference' }), str('displayName', { mutability: 'readOnly' })] },
];

export const ATLASSIAN_ATTRIBUTES: AttributeDefinition[] = [
  str('atlassianAccountId', { mutability: 'readOnly', description: 'The Atlassian account this SCIM user is linked to.' }),
];

export const GROUP_ATTRIBUTES: AttributeDefinition[] = [
  str('displayName', { required: true, uniqueness: 'server' }),
  multi('members', [
    str('value', { mutability: 'immutable' }),
    str('$ref', { type: 'reference', mutability: 'immutable' }),
    str('display', { mutability: 'readOnly' }),
    str('type', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
  ]),
];

function schemaResource(id: string, name: string, description: string, attributes: AttributeDefinition[], baseUrl: string) {
  const withDefaults = (a: AttributeDefinition): Record<string, unknown> => ({
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...a,
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(withDefaults) } : {}),
  });
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id,
    name,
    description,
    attributes: attributes.map(withDefaults),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  };
}

export function schemaDocuments(baseUrl: string) {
  return [
    schemaResource(USER_SCHEMA, 'User', 'User Account', USER_ATTRIBUTES, baseUrl),
    schemaResource(ENTERPRISE_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES, baseUrl),
    schemaResource(ATLASSIAN_SCHEMA, 'AtlassianUser', 'The Atlassian account linked to the user', ATLASSIAN_ATTRIBUTES, baseUrl),
    schemaResource(GROUP_SCHEMA, 'Group', 'Group', GROUP_ATTRIBUTES, baseUrl),
  ];
}

export function resourceTypeDocuments(baseUrl: string) {
  const meta = (name: string) => ({ resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${name}` });
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA,
      schemaExtensions: [
        { schema: ENTERPRISE_SCHEMA, required: false },
        { schema: ATLASSIAN_SCHEMA, required: false },
      ],
      meta: meta('User'),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: GROUP_SCHEMA,
      schemaExtensions: [],
      meta: meta('Group'),
    },
  ];
}

export function serviceProviderConfig(
  baseUrl: string,
  limits: { maxResults: number; maxPayloadSize: number; filterSupported: boolean; sortSupported: boolean },
) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://github.com/rehearsal/rehearsal#scim',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: limits.filterSupported, maxResults: limits.maxResults },
    changePassword: { supported: false },
    sort: { supported: limits.sortSupported },
    etag: { supported: true },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'The directory API token, sent as Authorization: Bearer <token>.', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}
