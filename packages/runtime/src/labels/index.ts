/**
 * Label and field selectors (apimachinery's labels and fields): parsing from the string form, the record form and a
 * metav1.LabelSelector, matching, and the wire form. The cache, the clients, predicates and the fake client all use
 * these, so a selector means the same everywhere.
 */
export { SelectorParseError } from "./errors.ts";
export {
  formatSelector,
  type LabelOperator,
  type LabelRequirement,
  type LabelSelector,
  type LabelSelectorRequirement,
  type LabelSelectorSpec,
  labelMatcher,
  labelSelectorString,
  type ParsedLabelSelector,
  parseLabelRequirements,
  parseLabelSelector,
  selectorMatches,
} from "./selector.ts";
export {
  type FieldRequirement,
  type FieldSelector,
  fieldMatcher,
  fieldRequirementMatches,
  fieldSelectorOf,
  fieldSelectorString,
  fieldValue,
  parseFieldSelector,
} from "./fields.ts";
