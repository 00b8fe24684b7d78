/**
 * Everything the fault injector decides with, as one plain object the
 * caller owns: which members are black-holed (crash by proxy) or dead
 * (killed), which links a partition cuts, and the chain of impairment
 * rules with their per-link streams and states. The proxy holds one; a
 * simulator holds its own. Mutations only; no I/O and no clock.
 *
 * @module
 */

import { ConfigError } from "../../lib/core/errors.ts";
import { Rule, type RuleCounters, type RuleSpec } from "./impairments/rule.ts";
import type { Cut } from "./partitions.ts";

/** The id of the whole-run Bernoulli loss rule (`loss` in a scenario). */
export const DEFAULT_LOSS_RULE = "default-loss";

/** What one rule did, for the books. */
export interface RuleReport {
  /** The rule's id. */
  readonly id: string;
  /** Its impairment's kind. */
  readonly kind: string;
  /** Still in the chain at the time of the report. */
  readonly active: boolean;
  /** Its counts. */
  readonly counters: RuleCounters;
}

/** The injector's state for `members` members. */
export class FaultState {
  /** Members. */
  readonly members: number;
  /** The run's seed (every rule's streams derive from it). */
  readonly seed: number;
  /** 1 where a member is black-holed. */
  readonly blackholed: Uint8Array;
  /** 1 where a member is killed (its socket is gone). */
  readonly dead: Uint8Array;
  /** 1 where the link `from * n + to` is cut by a partition. */
  readonly cut: Uint8Array;
  /** Cut links. */
  cutCount = 0;
  /** The rule chain, applied in order. */
  rules: Rule[] = [];
  /** Rules removed during the run, kept for their counts. */
  readonly retired: Rule[] = [];

  /** A state with nothing impaired. */
  constructor(members: number, seed: number) {
    this.members = members;
    this.seed = seed;
    this.blackholed = new Uint8Array(members);
    this.dead = new Uint8Array(members);
    this.cut = new Uint8Array(members * members);
  }

  /**
   * The state a proxy starts with, built in this one place for the proxy
   * (`UdpProxy.start`) and the simulator: the whole-run loss, the members
   * black-holed from the start, then the whole-run rules in order.
   */
  static initial(
    members: number,
    seed: number,
    options: { readonly loss?: number; readonly blackholed?: readonly number[]; readonly rules?: readonly RuleSpec[] },
  ): FaultState {
    const state = new FaultState(members, seed);
    state.setLoss(options.loss ?? 0);
    for (const i of options.blackholed ?? []) state.setBlackhole(i, true);
    for (const spec of options.rules ?? []) state.addRule(spec);
    return state;
  }

  /** Black-holes or restores everything to and from `member`. */
  setBlackhole(member: number, on: boolean): void {
    this.#check(member);
    this.blackholed[member] = on ? 1 : 0;
  }

  /** Marks `member` killed or restarted. */
  setDead(member: number, dead: boolean): void {
    this.#check(member);
    this.dead[member] = dead ? 1 : 0;
  }

  /** Installs a partition's cuts, replacing any other. */
  setPartition(cuts: readonly Cut[]): void {
    const n = this.members;
    for (const [from, to] of cuts) {
      this.#check(from);
      this.#check(to);
    }
    this.cut.fill(0);
    this.cutCount = 0;
    for (const [from, to] of cuts) {
      if (this.cut[from * n + to] === 0) this.cutCount++;
      this.cut[from * n + to] = 1;
    }
  }

  /** Sets the whole-run Bernoulli loss (the first rule; 0 removes it). */
  setLoss(probability: number): void {
    if (!(probability >= 0 && probability <= 1)) {
      throw new ConfigError("loss", `'loss' must be a probability in [0, 1]: current value is ${probability}`);
    }
    const old = this.rules.find((r) => r.id === DEFAULT_LOSS_RULE);
    if (old) this.#retire(old);
    if (probability > 0) {
      this.rules.unshift(
        new Rule({ id: DEFAULT_LOSS_RULE, impairment: { kind: "loss", probability } }, this.members, this.seed),
      );
    }
  }

  /** Appends a rule; its id must not be in use. */
  addRule(spec: RuleSpec): void {
    const rule = new Rule(spec, this.members, this.seed);
    if (this.rules.some((r) => r.id === rule.id)) {
      throw new ConfigError("id", `rule id '${rule.id}' is in use: remove that rule first or choose another id`);
    }
    this.rules.push(rule);
  }

  /** Removes a rule by id. */
  removeRule(id: string): void {
    const rule = this.rules.find((r) => r.id === id);
    if (!rule) throw new ConfigError("id", `no rule '${id}' to remove`);
    this.#retire(rule);
  }

  /** Removes every fault: black holes, deaths, partitions and rules (keeping the whole-run loss). */
  healAll(): void {
    this.blackholed.fill(0);
    this.dead.fill(0);
    this.setPartition([]);
    for (const r of this.rules.filter((r) => r.id !== DEFAULT_LOSS_RULE)) this.#retire(r);
  }

  /** Every rule's counts: removed ones first, then the chain in order. */
  ruleReports(): RuleReport[] {
    return [
      ...this.retired.map((r) => ({ id: r.id, kind: r.kind, active: false, counters: { ...r.counters } })),
      ...this.rules.map((r) => ({ id: r.id, kind: r.kind, active: true, counters: { ...r.counters } })),
    ];
  }

  #retire(rule: Rule): void {
    this.rules = this.rules.filter((r) => r !== rule);
    this.retired.push(rule);
  }

  #check(member: number): void {
    if (!Number.isInteger(member) || member < 0 || member >= this.members) {
      throw new ConfigError(
        "member",
        `'member' must be an index in [0, ${this.members - 1}]: current value is ${member}`,
      );
    }
  }
}
