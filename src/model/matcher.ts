export type MatchType = '=' | '!=' | '=~' | '!~';

/** A label matcher as written in a PromQL selector or a `match[]` argument. */
export interface LabelMatcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
}
