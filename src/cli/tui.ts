export async function runTui(_o: unknown): Promise<void> {}
