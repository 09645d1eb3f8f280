import { parseCidr, SUBNET_NEW_BITS } from "../../config/validate";

export interface SubnetPlan {
  readonly az: string;
  readonly publicCidr: string;
  readonly privateCidr: string;
}

function format(n: number, prefix: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${prefix}`;
}

/** Slot of the first private subnet: the upper half of the VPC. */
const PRIVATE_SLOT_OFFSET = 2 ** SUBNET_NEW_BITS / 2;

/**
 * Splits the VPC CIDR into 16 equal slots: the public subnet of the i-th AZ in
 * slot i, its private subnet in slot 8 + i. The slots do not depend on the AZ
 * count, so adding AZs (at the end of the list) only adds subnets: existing
 * subnets, their NAT gateways and the Lambdas' network interfaces stay. Computed
 * here (not with `cidrsubnet` at plan time) so the synthesized config shows the
 * literal ranges a reviewer approves.
 */
export function planSubnets(vpcCidr: string, azs: readonly string[]): SubnetPlan[] {
  const cidr = parseCidr(vpcCidr);
  if (!cidr) throw new Error(`not a CIDR: ${vpcCidr}`);
  if (azs.length > PRIVATE_SLOT_OFFSET) throw new Error(`at most ${PRIVATE_SLOT_OFFSET} AZs fit the subnet layout (got ${azs.length})`);
  const prefix = cidr.prefix + SUBNET_NEW_BITS;
  const size = 2 ** (32 - prefix);
  return azs.map((az, i) => ({
    az,
    publicCidr: format(cidr.base + i * size, prefix),
    privateCidr: format(cidr.base + (PRIVATE_SLOT_OFFSET + i) * size, prefix),
  }));
}
