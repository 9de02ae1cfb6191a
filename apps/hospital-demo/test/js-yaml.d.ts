// js-yaml ships no types and @types/js-yaml is not installed: the one function the tests use.
declare module 'js-yaml' {
  const yaml: { load(text: string): unknown };
  export default yaml;
}
