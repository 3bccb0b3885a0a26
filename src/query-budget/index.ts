/** The per-query memory budget (--search.maxMemoryPerQuery). */
export { MEMORY_BUDGET_FLAG, QueryMemoryBudget, QueryMemoryError } from './budget.js';
export { BudgetedArena } from './budgeted-arena.js';
export { budgetedQuerier } from './budgeted-querier.js';
