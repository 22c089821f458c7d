/** RFC 6940 §7 storage structures and the §7.4 Store/Fetch/Stat/Find bodies. */
export * from './data-value.js';
export * from './stored-data.js';
export * from './store.js';
export * from './fetch.js';
export * from './stat.js';
export * from './find.js';
