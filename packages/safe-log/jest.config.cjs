// @faker-js/faker (the evaluation corpus and the name properties) ships only ES modules: let swc
// compile it like our sources.
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  transformIgnorePatterns: ['/node_modules/(?!@faker-js/faker/)'],
});
