import { KinesisClient, DescribeStreamSummaryCommand, DeleteStreamCommand } from '@aws-sdk/client-kinesis'
import { createKinesisClient } from '../../core/kinesis-client.ts'
const c = createKinesisClient({ endpoint: 'http://127.0.0.1:24567', region: 'us-east-1', streamName: 'adwatch-events', shardCount: 4 })
const s = await c.send(new DescribeStreamSummaryCommand({ StreamName: 'adwatch-events' }))
console.log(s.StreamDescriptionSummary?.StreamCreationTimestamp, s.StreamDescriptionSummary?.OpenShardCount, s.StreamDescriptionSummary?.StreamStatus)
c.destroy()
