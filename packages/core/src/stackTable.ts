/**
 * What storage answers for a merge query: the part of the stored stack prefix tree that the
 * selected samples touch, with summed self values. Parents always come before their children
 * (parent[i] < i), so one forward pass computes totals and one builds a call tree.
 *
 * Example: stacks `main;a 3`, `main 1` →
 *   names=["main","a"], parent=[-1,0], nameIndex=[0,1], self=[1,3]
 */
export interface StackNodeTable {
  names: string[];
  parent: Int32Array;
  nameIndex: Int32Array;
  self: Float64Array;
  /** Value of samples with an empty stack (no frames at all); counted in the root's total. */
  rootSelf?: number;
}
