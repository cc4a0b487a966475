import type { AnyBulkWriteOperation, Collection, Filter } from 'mongodb';

/**
 * Most write statements sent in one command. FerretDB v1.24 hangs for good (the server, not
 * just the request) on one update command with more than about 50 statements, so bulk writes
 * are split well below that. MongoDB would take 100,000 per command; smaller ones only cost
 * round trips, which a projection batch of a few hundred records can afford.
 */
export const MAX_STATEMENTS_PER_COMMAND = 25;

/**
 * Stores every document as given, replacing or inserting by `_id`, without any condition:
 * `replaceOne({_id}, doc, {upsert: true})` statements, unordered, at most
 * {@link MAX_STATEMENTS_PER_COMMAND} per command. For the single writer of a collection only;
 * nothing here is made exclusive against other writers (see WriteGuard).
 *
 * A repeated `_id` keeps only its last document: statements of one unordered command may run in
 * any order, so sending both would leave either one stored.
 *
 * Commands are sent one after another, not in parallel: FerretDB serialises writes anyway, and
 * a failed command stops the rest instead of racing them. Nothing is sent for no documents.
 *
 * @param docs - complete documents; `_id` is the key, the rest is the replacement.
 */
export async function upsertAllById<D extends { readonly _id: string }>(
  collection: Collection<D>,
  docs: readonly D[],
): Promise<void> {
  const latest = new Map<string, D>();
  for (const doc of docs) latest.set(doc._id, doc);
  const statements = [...latest.values()].map((doc): AnyBulkWriteOperation<D> => {
    // The upsert takes `_id` from the filter; MongoDB and FerretDB both accept the replacement
    // without it, which also rules out "_id would be modified" errors.
    const { _id, ...replacement } = doc;
    return {
      replaceOne: {
        filter: { _id } as Filter<D>,
        replacement,
        upsert: true,
      },
    };
  });
  for (let i = 0; i < statements.length; i += MAX_STATEMENTS_PER_COMMAND) {
    await collection.bulkWrite(statements.slice(i, i + MAX_STATEMENTS_PER_COMMAND), { ordered: false });
  }
}
