// @resil/bulkhead: see README.md (issue #19).
export {};
