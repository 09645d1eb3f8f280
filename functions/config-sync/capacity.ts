/**
 * Reads how much AWS capacity actually serves: the number of instances of an Auto
 * Scaling group that are `InService` and `Healthy`.
 *
 * Why not DesiredCapacity: it is the group's intent. Right after a scale-out it counts
 * instances that are still launching or waiting in a lifecycle hook, and after a failed
 * launch it counts instances that never arrive; Genesys would route work to capacity
 * that is not there. Instances in Pending, Terminating, Standby, Detaching or
 * unhealthy are not serving, so they are not counted. Transitions that emit no event
 * (a lifecycle hook completing, an instance turning unhealthy) are caught by the
 * scheduled reconciliation.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";

/** The Auto Scaling group does not exist (a configuration error in the rules). */
export class AutoScalingGroupNotFoundError extends Error {
  override readonly name = "AutoScalingGroupNotFoundError";
}

/** Counts serving instances per group. */
export class ServingCapacity {
  constructor(private readonly client: AutoScalingClient = new AutoScalingClient({})) {}

  /** In-service, healthy instances of `groupName`. */
  async inServiceInstances(groupName: string): Promise<number> {
    const result = await this.client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }));
    const group = result.AutoScalingGroups?.find((candidate) => candidate.AutoScalingGroupName === groupName);
    if (!group) throw new AutoScalingGroupNotFoundError(`Auto Scaling group "${groupName}" not found`);
    return (group.Instances ?? []).filter((instance) => instance.LifecycleState === "InService" && instance.HealthStatus === "Healthy").length;
  }

  /** Which of `groupNames` exist (readable by this role); the API leaves unknown names out. */
  async existingGroups(groupNames: string[], signal?: AbortSignal): Promise<Set<string>> {
    const found = new Set<string>();
    // DescribeAutoScalingGroups takes at most 100 names per call.
    for (let i = 0; i < groupNames.length; i += 100) {
      const result = await this.client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: groupNames.slice(i, i + 100), MaxRecords: 100 }), { abortSignal: signal });
      for (const group of result.AutoScalingGroups ?? []) if (group.AutoScalingGroupName) found.add(group.AutoScalingGroupName);
    }
    return found;
  }
}
