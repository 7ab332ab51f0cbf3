// InformInfoRecord (SA attribute 0x00F3, 60 bytes + 4 pad): one subscription as the SA stores it.
// Offsets (IBA 15.2.5.12; ib_inform_info_record_t):
//   0 SubscriberGID(16)  16 Enum(2)  18-23 reserved  24 InformInfo(36)  60 pad(4)
import { BytesRef, type FieldWindow } from './bytes.js';
import { GidView } from './gid-view.js';
import { InformInfoView } from './inform-info.js';

export const INFORM_INFO_RECORD_SIZE = 60;

export class InformInfoRecordView {
  readonly ref: BytesRef;
  readonly offset: number;
  /** The window this view reads its fields through (see bytes.ts); replaced when the buffer changes. */
  win: FieldWindow;
  readonly subscriberGid: GidView;
  readonly informInfo: InformInfoView;

  constructor(ref: BytesRef, offset: number) {
    this.ref = ref;
    this.offset = offset;
    this.win = ref.window(offset, (w) => (this.win = w));
    this.subscriberGid = new GidView(ref, offset);
    this.informInfo = new InformInfoView(ref, offset + 24);
  }

  get enumeration(): number {
    const w = this.win;
    return w.getUint16(w.base + 16);
  }
  set enumeration(v: number) {
    const w = this.win;
    w.setUint16(w.base + 16, v);
  }
}
