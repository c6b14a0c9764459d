/**
 * The TensorBoard protobufs Gymnos writes, described to protobufjs by hand (field numbers from
 * tensorflow/core/util/event.proto, core/framework/summary.proto, and the hparams plugin's
 * tensorboard/plugins/hparams/api.proto and plugin_data.proto, with google.protobuf.Struct's Value).
 */
import protobuf from 'protobufjs';

const f = (type: string, id: number) => ({ type, id });
const rep = (type: string, id: number, packed = false) => ({
  rule: 'repeated',
  type,
  id,
  ...(packed ? { options: { packed: true } } : {}),
});

const schema = {
  nested: {
    tb: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'summary', 'sessionLog'] } },
          fields: {
            wallTime: f('double', 1),
            step: f('int64', 2),
            fileVersion: f('string', 3),
            summary: f('Summary', 5),
            sessionLog: f('SessionLog', 7),
          },
        },
        // status: START 1 (a restart: TensorBoard drops earlier files' events from this step on)
        SessionLog: { fields: { status: f('int32', 1), checkpointPath: f('string', 2), msg: f('string', 3) } },
        Summary: { fields: { value: rep('SummaryValue', 1) } },
        SummaryValue: {
          oneofs: { value: { oneof: ['simpleValue', 'histo'] } },
          fields: {
            tag: f('string', 1),
            simpleValue: f('float', 2),
            histo: f('HistogramProto', 5),
            metadata: f('SummaryMetadata', 9),
          },
        },
        HistogramProto: {
          fields: {
            min: f('double', 1),
            max: f('double', 2),
            num: f('double', 3),
            sum: f('double', 4),
            sumSquares: f('double', 5),
            bucketLimit: rep('double', 6, true),
            bucket: rep('double', 7, true),
          },
        },
        SummaryMetadata: {
          fields: {
            pluginData: f('PluginData', 1),
            displayName: f('string', 2),
            summaryDescription: f('string', 3),
            dataClass: f('int32', 4),
          },
        },
        PluginData: { fields: { pluginName: f('string', 1), content: f('bytes', 2) } },
        // tensorboard/plugins/hparams
        HParamsPluginData: {
          oneofs: { data: { oneof: ['experiment', 'sessionStartInfo', 'sessionEndInfo'] } },
          fields: {
            version: f('int32', 1),
            experiment: f('Experiment', 2),
            sessionStartInfo: f('SessionStartInfo', 3),
            sessionEndInfo: f('SessionEndInfo', 4),
          },
        },
        Experiment: {
          fields: {
            description: f('string', 1),
            user: f('string', 2),
            timeCreatedSecs: f('double', 3),
            hparamInfos: rep('HParamInfo', 4),
            metricInfos: rep('MetricInfo', 5),
            name: f('string', 6),
          },
        },
        HParamInfo: {
          fields: {
            name: f('string', 1),
            displayName: f('string', 2),
            description: f('string', 3),
            type: f('int32', 4),
          },
        },
        MetricInfo: {
          fields: {
            name: f('MetricName', 1),
            displayName: f('string', 3),
            description: f('string', 4),
            datasetType: f('int32', 5),
          },
        },
        MetricName: { fields: { group: f('string', 1), tag: f('string', 2) } },
        SessionStartInfo: {
          fields: {
            hparams: { keyType: 'string', type: 'Value', id: 1 },
            modelUri: f('string', 2),
            monitorUrl: f('string', 3),
            groupName: f('string', 4),
            startTimeSecs: f('double', 5),
          },
        },
        SessionEndInfo: { fields: { status: f('int32', 1), endTimeSecs: f('double', 2) } },
        // google.protobuf.Value (the subset used: numbers, strings, booleans)
        Value: {
          oneofs: { kind: { oneof: ['numberValue', 'stringValue', 'boolValue'] } },
          fields: { numberValue: f('double', 2), stringValue: f('string', 3), boolValue: f('bool', 4) },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schema);
export const Event = root.lookupType('tb.Event');
export const HParamsPluginData = root.lookupType('tb.HParamsPluginData');

/** hparams DataType and Status enums. */
export const HPARAM_TYPE = { string: 1, bool: 2, float64: 3 } as const;
export const SESSION_STATUS = { unknown: 0, success: 1, failure: 2, running: 3 } as const;
/** SessionLog.SessionStatus.START */
export const SESSION_LOG_START = 1;
/** DataClass.DATA_CLASS_SCALAR */
export const DATA_CLASS_SCALAR = 1;

/** Encodes an Event given as a plain object (camelCase field names). */
export function encodeEvent(e: Record<string, unknown>): Uint8Array {
  return Event.encode(Event.fromObject(e)).finish();
}

export function encodeHParams(d: Record<string, unknown>): Uint8Array {
  return HParamsPluginData.encode(HParamsPluginData.fromObject(d)).finish();
}
