/** Strings → dense ids in first-seen order: the names table of every tree, format and export. */
export class StringTable {
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();

  constructor(initial: readonly string[] = []) {
    for (const text of initial) this.id(text);
  }

  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(text);
      this.ids.set(text, id);
    }
    return id;
  }
}
