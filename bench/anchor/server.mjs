// The benchmark anchor of bench/trace.py --anchor: what a team would stand up instead of
// tracegraph, @neo4j/graphql on the same Neo4j and the same graph, the trace written as a
// `@cypher` field with the variable-length pattern its users write.
//
// tracegraph's graph model in Neo4j (src/tracegraph/cypher/neo4j): items are (:Item {id}),
// unique by id; lineage is (:Item)-[:FLOWS_TO {voided}]->(:Item), `voided` always set (a
// reversed event voids its links, which a trace does not cross). The trace below has the
// semantics of tracegraph's trace (and of the benchmark's in-memory walk): every item
// reached from the root along (FORWARD) or against (BACKWARD) non-voided links, each once,
// the root excluded even when a cycle leads back to it.
//
//   ANCHOR_PORT=4100 NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_USER=neo4j NEO4J_PASSWORD=... \
//     node server.mjs
//
// Serves GraphQL on http://127.0.0.1:$ANCHOR_PORT/ (Apollo Server's standalone HTTP server),
// for example `{ trace(id: "INT-L41", direction: FORWARD) { id } }`. `DEBUG=@neo4j/graphql:*`
// prints the Cypher the library sends. `node server.mjs --print-cypher` prints the field's
// statement and exits (bench/anchor/explain.py profiles it).

import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

// One statement for both directions: a variable-length pattern per direction (the
// direction of a pattern cannot be a parameter) under a guard on the `direction` argument,
// the relationship predicate inline and DISTINCT ends, which Neo4j 5 plans as a pruning
// breadth-first expand (`VarLengthExpand(Pruning,BFS,All)`: each node expanded once, no path
// enumeration); the guard is evaluated before the expand, so one branch runs. Written
// `MATCH p = (root)-[:FLOWS_TO*]->(x) WHERE none(l IN relationships(p) WHERE l.voided)`
// instead, it plans the same (checked with PROFILE on 5.26).
export const TRACE = `
MATCH (root:Item {id: $id})
CALL (root) {
  MATCH (root)-[:FLOWS_TO*1.. {voided: false}]->(x:Item) WHERE $direction = 'FORWARD'
  RETURN DISTINCT x
  UNION
  MATCH (root)<-[:FLOWS_TO*1.. {voided: false}]-(x:Item) WHERE $direction = 'BACKWARD'
  RETURN DISTINCT x
}
WITH root, x WHERE x <> root
RETURN x
`;

export const typeDefs = /* GraphQL */ `
  enum TraceDirection {
    FORWARD
    BACKWARD
  }

  type Item @node(labels: ["Item"]) {
    id: String!
    kind: String
    status: String
  }

  type Query {
    "Every item the item reaches along lineage (FORWARD) or against it (BACKWARD), itself excluded."
    trace(id: String!, direction: TraceDirection!): [Item!]!
      @cypher(statement: """${TRACE}""", columnName: "x")
  }
`;

async function main() {
  if (process.argv.includes("--print-cypher")) {
    process.stdout.write(TRACE.trim() + "\n");
    return;
  }
  const env = (name, fallback) => {
    const value = process.env[name] ?? fallback;
    if (value === undefined) throw new Error(`${name} is not set`);
    return value;
  };
  const port = Number(env("ANCHOR_PORT", "4100"));
  const driver = neo4j.driver(
    env("NEO4J_URI", "bolt://127.0.0.1:7687"),
    neo4j.auth.basic(env("NEO4J_USER", "neo4j"), env("NEO4J_PASSWORD")),
  );
  await driver.verifyConnectivity();
  const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
  const server = new ApolloServer({ schema });
  const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port } });
  console.log(`anchor: @neo4j/graphql serving ${url} on ${env("NEO4J_URI", "bolt://127.0.0.1:7687")}`);
  const stop = async () => {
    await server.stop();
    await driver.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

await main();
