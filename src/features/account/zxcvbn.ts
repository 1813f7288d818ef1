// zxcvbn-ts with its English and common dictionaries: large, so only ever loaded through import() (passwordStrength.ts).
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

const factory = new ZxcvbnFactory({
  translations: en.translations,
  graphs: common.adjacencyGraphs,
  dictionary: { ...common.dictionary, ...en.dictionary },
});

export function checkStrength(password: string, userInputs: string[]) {
  const result = factory.check(password, userInputs);
  return { score: result.score, warning: result.feedback.warning ?? '', suggestions: result.feedback.suggestions };
}
