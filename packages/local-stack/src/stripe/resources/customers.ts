import { noSuch } from '../errors';
import { newId, nowSeconds, randomTail } from '../ids';
import type { Customer } from '../objects';
import { createdFilter, mergeMetadata, str } from '../params';
import { route } from '../route';
import { previousAttributes, type StandIn } from '../standin';

/** Customers: create, retrieve, update, list (with the `email` filter). */
export function getCustomer(s: StandIn, id: string, param = 'id'): Customer {
  const customer = s.state.customers[id];
  if (!customer) throw noSuch('customer', id, param);
  return customer;
}

const nullable = (value: string | undefined, current: string | null) => (value === undefined ? current : value || null);

export const customerRoutes = [
  route('POST', '/v1/customers', ({ s, params }) => {
    const customer: Customer = {
      id: newId('cus', 14),
      object: 'customer',
      address: null,
      balance: 0,
      created: nowSeconds(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: str(params, 'description') || null,
      discount: null,
      email: str(params, 'email') || null,
      invoice_prefix: randomTail(8).toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: mergeMetadata({}, params),
      name: str(params, 'name') || null,
      next_invoice_sequence: 1,
      phone: str(params, 'phone') || null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    s.state.customers[customer.id] = customer;
    s.emit('customer.created', customer);
    return s.render(customer, params);
  }),
  route('GET', '/v1/customers/:id', ({ s, params, path }) => s.render(getCustomer(s, path.id ?? ''), params)),
  route('POST', '/v1/customers/:id', ({ s, params, path }) => {
    const customer = getCustomer(s, path.id ?? '');
    const before = structuredClone(customer);
    customer.email = nullable(str(params, 'email'), customer.email);
    customer.name = nullable(str(params, 'name'), customer.name);
    customer.description = nullable(str(params, 'description'), customer.description);
    customer.phone = nullable(str(params, 'phone'), customer.phone);
    customer.metadata = mergeMetadata(customer.metadata, params);
    const previous = previousAttributes(before, customer);
    if (Object.keys(previous).length > 0) s.emit('customer.updated', customer, previous);
    return s.render(customer, params);
  }),
  route('GET', '/v1/customers', ({ s, params }) => {
    const email = str(params, 'email');
    const created = createdFilter(params);
    const items = s
      .newestFirst(s.state.customers)
      .filter((c) => (email === undefined || c.email === email) && created(c.created));
    return s.renderList(items, params, '/v1/customers');
  }),
];
