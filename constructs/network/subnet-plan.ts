import { parseCidr, subnetNewBits } from "../../config/validate";

export interface SubnetPlan {
  readonly az: string;
  readonly publicCidr: string;
  readonly privateCidr: string;
}

function format(n: number, prefix: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${prefix}`;
}

/**
 * Splits the VPC CIDR into equal subnets: public ones first, then private ones,
 * one of each per AZ. Computed here (not with `cidrsubnet` at plan time) so the
 * synthesized config shows the literal ranges a reviewer approves.
 */
export function planSubnets(vpcCidr: string, azs: readonly string[]): SubnetPlan[] {
  const cidr = parseCidr(vpcCidr);
  if (!cidr) throw new Error(`not a CIDR: ${vpcCidr}`);
  const newBits = subnetNewBits(azs.length);
  const prefix = cidr.prefix + newBits;
  const size = 2 ** (32 - prefix);
  return azs.map((az, i) => ({
    az,
    publicCidr: format(cidr.base + i * size, prefix),
    privateCidr: format(cidr.base + (azs.length + i) * size, prefix),
  }));
}
