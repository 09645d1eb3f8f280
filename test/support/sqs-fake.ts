/**
 * A small Amazon SQS fake in the JSON protocol the SDK speaks (`X-Amz-Target:
 * AmazonSQS.<Operation>`, JSON 1.0, query-compatible error codes): GetQueueUrl,
 * GetQueueAttributes, SendMessage, ReceiveMessage (visibility timeouts, MD5 of the
 * body), DeleteMessage, StartMessageMoveTask and ListMessageMoveTasks (a move task
 * reports RUNNING once, then COMPLETED). Unknown queues answer QueueDoesNotExist
 * like the real service. Point clients at it with `AWS_ENDPOINT_URL_SQS`.
 */
import { createHash, randomUUID } from "node:crypto";
import { AwsServiceError, startJsonFake, type JsonFake } from "./aws-json-fake";

interface Message {
  id: string;
  body: string;
  receipt?: string;
  visibleAt: number;
  receiveCount: number;
  sentAt: number;
}

interface Queue {
  name: string;
  arn: string;
  url: string;
  messages: Message[];
  /** For a DLQ: the queue whose redrive policy names it. */
  sourceArn?: string;
}

interface MoveTask {
  handle: string;
  sourceArn: string;
  destinationArn: string;
  toMove: number;
  listed: number;
  startedAt: number;
}

export interface SqsFake extends JsonFake {
  /** Creates a queue (and, with `deadLetterOf`, marks it the DLQ of that queue). */
  createQueue(name: string, opts?: { deadLetterOf?: string }): void;
  /** Puts messages on a queue as if sent; returns their ids. */
  seed(queue: string, bodies: string[]): string[];
  /** Bodies currently on a queue (visible or not). */
  bodies(queue: string): string[];
}

export async function startSqsFake(accountId = "333333333333", region = "eu-west-1"): Promise<SqsFake> {
  const queues = new Map<string, Queue>();
  const tasks: MoveTask[] = [];
  let endpoint = "";
  const byUrl = (url: unknown): Queue => {
    const queue = [...queues.values()].find((q) => q.url === url);
    if (!queue) throw new AwsServiceError(400, "QueueDoesNotExist", "The specified queue does not exist.", "AWS.SimpleQueueService.NonExistentQueue");
    return queue;
  };
  const byArn = (arn: unknown): Queue => {
    const queue = [...queues.values()].find((q) => q.arn === arn);
    if (!queue) throw new AwsServiceError(400, "ResourceNotFoundException", `The resource that you specified for the SourceArn parameter doesn't exist.`);
    return queue;
  };
  const visible = (q: Queue, now = Date.now()) => q.messages.filter((m) => m.visibleAt <= now);
  const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

  const fake = await startJsonFake(
    { targetPrefix: "AmazonSQS", jsonVersion: "1.0", errorNamespace: "com.amazonaws.sqs", queryCompatible: true },
    {
      GetQueueUrl: ({ QueueName, QueueOwnerAWSAccountId }) => {
        const queue = queues.get(QueueName);
        if (!queue || (QueueOwnerAWSAccountId && QueueOwnerAWSAccountId !== accountId)) {
          throw new AwsServiceError(400, "QueueDoesNotExist", "The specified queue does not exist.", "AWS.SimpleQueueService.NonExistentQueue");
        }
        return { QueueUrl: queue.url };
      },
      GetQueueAttributes: ({ QueueUrl }) => {
        const q = byUrl(QueueUrl);
        return {
          Attributes: {
            QueueArn: q.arn,
            ApproximateNumberOfMessages: String(visible(q).length),
            ApproximateNumberOfMessagesNotVisible: String(q.messages.length - visible(q).length),
          },
        };
      },
      SendMessage: ({ QueueUrl, MessageBody }) => {
        const q = byUrl(QueueUrl);
        const id = randomUUID();
        q.messages.push({ id, body: MessageBody, visibleAt: 0, receiveCount: 0, sentAt: Date.now() });
        return { MessageId: id, MD5OfMessageBody: md5(MessageBody) };
      },
      ReceiveMessage: ({ QueueUrl, MaxNumberOfMessages, VisibilityTimeout }) => {
        const q = byUrl(QueueUrl);
        const max = MaxNumberOfMessages ?? 1;
        if (max < 1 || max > 10) throw new AwsServiceError(400, "InvalidParameterValueException", "Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10.", "InvalidParameterValue");
        const now = Date.now();
        const taken = visible(q, now).slice(0, max);
        for (const m of taken) {
          m.receipt = randomUUID();
          m.receiveCount++;
          m.visibleAt = now + (VisibilityTimeout ?? 30) * 1000;
        }
        return {
          Messages: taken.map((m) => ({
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            Body: m.body,
            MD5OfBody: md5(m.body),
            Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
          })),
        };
      },
      DeleteMessage: ({ QueueUrl, ReceiptHandle }) => {
        const q = byUrl(QueueUrl);
        const index = q.messages.findIndex((m) => m.receipt === ReceiptHandle);
        if (index < 0) throw new AwsServiceError(400, "ReceiptHandleIsInvalid", `The input receipt handle "${ReceiptHandle}" is not a valid receipt handle.`, "ReceiptHandleIsInvalid");
        q.messages.splice(index, 1);
        return {};
      },
      StartMessageMoveTask: ({ SourceArn, DestinationArn }) => {
        const source = byArn(SourceArn);
        if (!source.sourceArn) throw new AwsServiceError(400, "InvalidParameterValueException", "Source queue must be configured as a Dead Letter Queue.", "InvalidParameterValue");
        const destination = byArn(DestinationArn ?? source.sourceArn);
        if (tasks.some((t) => t.sourceArn === SourceArn && t.listed < 1)) throw new AwsServiceError(400, "UnsupportedOperation", "There is already a task running. Only one active task is allowed for a source queue arn at a given time.", "AWS.SimpleQueueService.UnsupportedOperation");
        const moved = source.messages.splice(0, source.messages.length);
        destination.messages.push(...moved.map((m) => ({ ...m, receipt: undefined, visibleAt: 0, receiveCount: 0 })));
        const task = { handle: randomUUID(), sourceArn: SourceArn, destinationArn: destination.arn, toMove: moved.length, listed: 0, startedAt: Date.now() };
        tasks.push(task);
        return { TaskHandle: task.handle };
      },
      ListMessageMoveTasks: ({ SourceArn }) => {
        byArn(SourceArn);
        const results = tasks
          .filter((t) => t.sourceArn === SourceArn)
          .reverse()
          .map((t) => {
            const running = t.listed++ < 1;
            return {
              TaskHandle: running ? t.handle : undefined,
              Status: running ? "RUNNING" : "COMPLETED",
              SourceArn: t.sourceArn,
              DestinationArn: t.destinationArn,
              ApproximateNumberOfMessagesMoved: running ? Math.floor(t.toMove / 2) : t.toMove,
              ApproximateNumberOfMessagesToMove: t.toMove,
              StartedTimestamp: t.startedAt,
            };
          });
        return { Results: results };
      },
    },
  );
  endpoint = fake.endpoint;
  return Object.assign(fake, {
    createQueue(name: string, opts: { deadLetterOf?: string } = {}) {
      queues.set(name, {
        name,
        arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
        url: `${endpoint}/${accountId}/${name}`,
        messages: [],
        sourceArn: opts.deadLetterOf ? `arn:aws:sqs:${region}:${accountId}:${opts.deadLetterOf}` : undefined,
      });
    },
    seed(queue: string, bodies: string[]) {
      const q = queues.get(queue)!;
      return bodies.map((body) => {
        const id = randomUUID();
        q.messages.push({ id, body, visibleAt: 0, receiveCount: 0, sentAt: Date.now() });
        return id;
      });
    },
    bodies: (queue: string) => queues.get(queue)!.messages.map((m) => m.body),
  });
}
