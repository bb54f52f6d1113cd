export * from './errors/domain-error';
export * from './errors/all-exceptions.filter';
export * from './pipes/parse-object-id.pipe';
export * from './pagination/pagination';
export * from './decorators/public.decorator';
export * from './errors/duplicate-key';
export * from './validation/transforms';
export * from './pagination/paginated-response';
