// The emoji picker's code and data, loaded only when a picker first opens (EmojiPicker.tsx imports this module
// dynamically): emoji-picker-element, and emoji-picker-element-data's English JSON served from this origin as a
// build asset. The data source is set in the constructor, so the picker never fetches its default CDN.
import { Picker } from 'emoji-picker-element';
import dataSource from 'emoji-picker-element-data/en/emojibase/data.json?url';

export type EmojiPickerElement = Picker;

export function createPickerElement(theme: 'light' | 'dark'): Picker {
  const picker = new Picker({ locale: 'en', dataSource });
  picker.classList.add(theme);
  return picker;
}
