import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Construct } from "constructs";
import type { InterfaceEndpointService } from "../../config/types";
import { policyDocument, serviceTrustPolicy } from "../../lib/iam";
import { EncryptedLogGroup } from "../observability/encrypted-log-group";
import { planSubnets } from "./subnet-plan";

export interface NatEgressProps {
  /** Name prefix for every resource, e.g. `gcv-dev`. */
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
  /** Private VPC CIDR, split into one public and one private subnet per AZ. */
  readonly vpcCidr: string;
  /** Full AZ names, e.g. `eu-west-1a`. */
  readonly availabilityZones: readonly string[];
  /** NAT gateways (1..AZs). Private subnet i routes through NAT i mod natGateways. */
  readonly natGateways: number;
  /** Interface endpoints in the private subnets. @default none */
  readonly interfaceEndpoints?: readonly InterfaceEndpointService[];
  /** Key that encrypts the flow log group. */
  readonly kmsKeyArn: string;
  /** Flow log retention in days. */
  readonly logRetentionDays: number;
}

/**
 * The VPC whose Lambdas reach the internet only through NAT gateways with
 * fixed Elastic IPs. The EIPs are separate resources, so the Azure allowlist
 * that is built from them survives NAT or subnet replacement.
 */
export class NatEgress extends Construct {
  public readonly vpc: Vpc;
  public readonly privateSubnetIds: string[];
  public readonly publicSubnetIds: string[];
  /** The NAT Elastic IPs: the only source addresses of Lambda egress. */
  public readonly natEips: Eip[];
  /** Security group for Lambdas: no inbound, outbound HTTPS only. */
  public readonly lambdaSecurityGroup: SecurityGroup;
  public readonly dynamodbEndpoint: VpcEndpoint;

  constructor(scope: Construct, id: string, props: NatEgressProps) {
    super(scope, id);
    const { namePrefix: p } = props;
    const plan = planSubnets(props.vpcCidr, props.availabilityZones);

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: `${p}-vpc` },
    });
    // The default security group admits all traffic between its members; strip it.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id, tags: { Name: `${p}-default-deny-all` } });

    const igw = new InternetGateway(this, "igw", { vpcId: this.vpc.id, tags: { Name: `${p}-igw` } });
    const publicRt = new RouteTable(this, "public-rt", { vpcId: this.vpc.id, tags: { Name: `${p}-public` } });
    new Route(this, "public-default", { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });

    const publicSubnets = plan.map((s, i) => {
      const subnet = new Subnet(this, `public-${i}`, {
        vpcId: this.vpc.id,
        cidrBlock: s.publicCidr,
        availabilityZone: s.az,
        mapPublicIpOnLaunch: false,
        tags: { Name: `${p}-public-${s.az}`, tier: "public" },
      });
      new RouteTableAssociation(this, `public-${i}-rta`, { subnetId: subnet.id, routeTableId: publicRt.id });
      return subnet;
    });

    this.natEips = [];
    const nats = Array.from({ length: props.natGateways }, (_, i) => {
      const eip = new Eip(this, `nat-eip-${i}`, {
        domain: "vpc",
        tags: { Name: `${p}-nat-${plan[i].az}`, purpose: "azure-vault-allowlist" },
      });
      this.natEips.push(eip);
      return new NatGateway(this, `nat-${i}`, {
        allocationId: eip.allocationId,
        subnetId: publicSubnets[i].id,
        connectivityType: "public",
        tags: { Name: `${p}-nat-${plan[i].az}` },
        dependsOn: [igw],
      });
    });

    const privateRts: RouteTable[] = [];
    const privateSubnets = plan.map((s, i) => {
      const subnet = new Subnet(this, `private-${i}`, {
        vpcId: this.vpc.id,
        cidrBlock: s.privateCidr,
        availabilityZone: s.az,
        mapPublicIpOnLaunch: false,
        tags: { Name: `${p}-private-${s.az}`, tier: "private" },
      });
      const rt = new RouteTable(this, `private-${i}-rt`, { vpcId: this.vpc.id, tags: { Name: `${p}-private-${s.az}` } });
      new Route(this, `private-${i}-default`, {
        routeTableId: rt.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: nats[i % nats.length].id,
      });
      new RouteTableAssociation(this, `private-${i}-rta`, { subnetId: subnet.id, routeTableId: rt.id });
      privateRts.push(rt);
      return subnet;
    });
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.publicSubnetIds = publicSubnets.map((s) => s.id);

    this.lambdaSecurityGroup = new SecurityGroup(this, "lambda-sg", {
      name: `${p}-lambda-egress`,
      description: "Pipeline Lambdas: no inbound; outbound HTTPS only (Genesys, Azure, AWS APIs)",
      vpcId: this.vpc.id,
      egress: [
        { description: "HTTPS out via NAT or VPC endpoints", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
      ],
      ingress: [],
      revokeRulesOnDelete: true,
      tags: { Name: `${p}-lambda-egress` },
    });

    // DynamoDB traffic stays on the AWS network and does not consume NAT capacity.
    this.dynamodbEndpoint = new VpcEndpoint(this, "dynamodb-endpoint", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.dynamodb`,
      vpcEndpointType: "Gateway",
      routeTableIds: privateRts.map((rt) => rt.id),
      tags: { Name: `${p}-dynamodb` },
    });

    const services = props.interfaceEndpoints ?? [];
    if (services.length > 0) {
      const endpointSg = new SecurityGroup(this, "endpoint-sg", {
        name: `${p}-vpc-endpoints`,
        description: "Interface endpoints: HTTPS from the pipeline Lambdas only",
        vpcId: this.vpc.id,
        ingress: [
          { description: "HTTPS from pipeline Lambdas", protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: [this.lambdaSecurityGroup.id] },
        ],
        egress: [],
        revokeRulesOnDelete: true,
        tags: { Name: `${p}-vpc-endpoints` },
      });
      for (const svc of services) {
        new VpcEndpoint(this, `${svc}-endpoint`, {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${props.region}.${svc}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: this.privateSubnetIds,
          securityGroupIds: [endpointSg.id],
          tags: { Name: `${p}-${svc}` },
        });
      }
    }

    // Flow logs: evidence of what left the VPC, encrypted and expiring.
    const flowLogs = new EncryptedLogGroup(this, "flow-logs", {
      name: `/aws/vpc/${p}-flow-logs`,
      kmsKeyArn: props.kmsKeyArn,
      retentionDays: props.logRetentionDays,
    });
    const flowRole = new IamRole(this, "flow-logs-role", {
      name: `${p}-vpc-flow-logs`,
      assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", props.accountId),
    });
    new IamRolePolicy(this, "flow-logs-policy", {
      role: flowRole.id,
      name: "write-flow-logs",
      policy: policyDocument({
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [flowLogs.arn, `${flowLogs.arn}:*`],
      }),
    });
    new FlowLog(this, "flow-log", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: flowLogs.arn,
      iamRoleArn: flowRole.arn,
      maxAggregationInterval: 600,
      tags: { Name: `${p}-flow-log` },
    });
  }
}
