package binlog

import "hash/crc32"

// Batched CRC32 verification.
//
// A binlog event ends in the CRC32 (IEEE, little endian) of the bytes before
// it, so the CRC32 of the WHOLE event is the constant crcResidue when the
// event is intact. Go's CRC32 is fast (CLMUL, AVX-512 from 1 KiB) on long
// inputs only; on ~80-byte events the per-call setup and the bytewise tail
// dominate. So many events are checked with ONE call: the CRC register after
// an intact event holds ^crcResidue, and XOR-ing the next event's first four
// bytes with 0xffffffff ^ ^crcResidue (= crcResidue) is the same as
// restarting the register at 0xffffffff, i.e. as computing that event's own
// CRC from scratch. After the last event the result is crcResidue again if every
// event is intact. A single damaged event always changes the result (CRC
// error propagation is invertible); several could cancel with probability
// 2^-32, like any CRC. When a batch fails, its events are checked one by one
// to name the first bad one. (The XOR is applied arithmetically, see
// verifyBatch.)
const crcResidue = 0x2144df1c

// batchSize bounds a batch: it stays in L2 between the passes over it.
var batchSize = 256 << 10

// crcPiece is the step at which verifyBatch keeps intermediate CRCs.
const crcPiece = 16 << 10

// verifyBatch checks the checksummed events at the start of src (the
// current event first) and returns how many bytes of complete events it
// verified: 0 when src does not start with a batch (an FDE, which has its
// own in-use rule, or an event too big or too short), fewer than the batch
// when an event in it is damaged (the verified prefix ends at that event).
// mask is scratch space of at least min(len(src), batchSize) bytes.
//
// src may be a read-only mapping, so the XOR of the event starts is not
// done in place: CRC32 is affine, crc(data ^ m) = crc(data) ^ rawcrc(m)
// with rawcrc the CRC without pre- and post-inversion. The data is CRC'd
// straight from src (streaming, the fastest way through memory), with the
// CRC kept every crcPiece bytes because the batch end is only known after
// the walk; the walk then runs over the now cached bytes and writes the
// XOR pattern into the zeroed mask, whose CRC is cheap (L2).
func verifyBatch(src, mask []byte) int {
	n := min(len(src), batchSize)
	var at [batchMaxPieces + 1]uint32 // at[i]: CRC of src[:i*crcPiece]
	for i := 0; i*crcPiece < n; i++ {
		at[i+1] = crc32.Update(at[i], crc32.IEEETable, src[i*crcPiece:min(n, (i+1)*crcPiece)])
	}
	m := mask[:n]
	clear(m)
	end := 0
	for end+HeaderLen <= n {
		size := int(le.Uint32(src[end+9:]))
		if size < HeaderLen+4 || size > n-end || EventType(src[end+4]) == FormatDescriptionEvent {
			break
		}
		if end > 0 {
			le.PutUint32(m[end:], crcResidue)
		}
		end += size
	}
	if end == 0 {
		return 0
	}
	p := end / crcPiece
	c := crc32.Update(at[p], crc32.IEEETable, src[p*crcPiece:end])
	if c^^crc32.Update(^uint32(0), crc32.IEEETable, m[:end]) == crcResidue {
		return end
	}
	return intactPrefix(src[:end])
}

// batchMaxPieces bounds batchSize/crcPiece (tests shrink batchSize only).
const batchMaxPieces = (1 << 20) / crcPiece

// intactPrefix returns the length of the leading intact events of src
// (complete checksummed events), checking them one by one.
func intactPrefix(src []byte) int {
	at := 0
	for at < len(src) {
		size := int(le.Uint32(src[at+9:]))
		if crc32.ChecksumIEEE(src[at:at+size]) != crcResidue {
			break
		}
		at += size
	}
	return at
}
