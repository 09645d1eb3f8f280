/**
 * A small Amazon SNS fake for `ListSubscriptionsByTopic` in SNS's query protocol (form-encoded
 * `Action=...` POST, XML answers), on 127.0.0.1 port 0. A subscription nobody confirmed has
 * `SubscriptionArn` "PendingConfirmation", as SNS reports it. Errors have the documented
 * codes: `NotFound` (404) for an unknown topic, `AuthorizationError` (403) after `deny()`.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { closeServer, listenLocal } from "./aws-json-fake";

export interface FakeSubscription {
  protocol: "email" | "https" | "sqs" | "lambda";
  endpoint: string;
  confirmed: boolean;
}

export interface SnsFake {
  readonly endpoint: string;
  readonly calls: Array<{ action: string; params: Record<string, string> }>;
  /** Creates (or empties) a topic with these subscriptions. */
  setTopic(arn: string, subscriptions: FakeSubscription[]): void;
  deny(...actions: string[]): void;
  allowAll(): void;
  close(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export async function startSnsFake(accountId = "333333333333"): Promise<SnsFake> {
  const topics = new Map<string, FakeSubscription[]>();
  const denied = new Set<string>();
  const calls: SnsFake["calls"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      const action = params.Action ?? "";
      calls.push({ action, params });
      const send = (status: number, xml: string) => res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() }).end(xml);
      const error = (status: number, code: string, message: string) =>
        send(status, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
      if (denied.has(action)) {
        error(403, "AuthorizationError", `User: arn:aws:sts::${accountId}:assumed-role/verify/cli is not authorized to perform: SNS:${action} on resource: ${params.TopicArn ?? "*"} because no identity-based policy allows the SNS:${action} action`);
        return;
      }
      const subs = topics.get(params.TopicArn ?? "");
      if (action !== "ListSubscriptionsByTopic") error(400, "InvalidAction", `the fake does not implement ${action}`);
      else if (!subs) error(404, "NotFound", "Topic does not exist");
      else answer(subs, params.TopicArn!);
    });
    function answer(subs: FakeSubscription[], topicArn: string): void {
      const send = (status: number, xml: string) => res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() }).end(xml);
      const members = subs
        .map(
          (s) =>
            `<member><TopicArn>${topicArn}</TopicArn><Protocol>${s.protocol}</Protocol><SubscriptionArn>${s.confirmed ? `${topicArn}:${randomUUID()}` : "PendingConfirmation"}</SubscriptionArn><Owner>${accountId}</Owner><Endpoint>${xmlEscape(s.endpoint)}</Endpoint></member>`,
        )
        .join("");
      send(
        200,
        `<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult><Subscriptions>${members}</Subscriptions></ListSubscriptionsByTopicResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></ListSubscriptionsByTopicResponse>`,
      );
    }
  });
  return {
    endpoint: await listenLocal(server),
    calls,
    setTopic: (arn, subscriptions) => topics.set(arn, subscriptions),
    deny: (...actions) => {
      for (const a of actions) denied.add(a);
    },
    allowAll: () => denied.clear(),
    close: () => closeServer(server),
  };
}
