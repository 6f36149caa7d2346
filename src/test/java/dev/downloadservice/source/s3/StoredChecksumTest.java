package dev.downloadservice.source.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/** When a HEAD's x-amz-checksum-crc32 is the CRC-32 a ZIP entry needs, and when it is not. */
class StoredChecksumTest {

    private static final byte[] HELLO = "hello".getBytes();

    @Test
    void fullObjectChecksum_isTheZipCrc() {
        HeadObjectResponse head = HeadObjectResponse.builder().contentLength(5L).checksumCRC32(base64(crc(HELLO)))
                .checksumType(ChecksumType.FULL_OBJECT).build();

        assertThat(ObjectStore.storedCrc32(head, 5)).hasValue(crc(HELLO));
    }

    @Test
    void checksumWithoutType_singlePartUploadOfOlderStores_isTheZipCrc() {
        HeadObjectResponse head = HeadObjectResponse.builder().contentLength(5L).checksumCRC32(base64(crc(HELLO))).build();

        assertThat(ObjectStore.storedCrc32(head, 5)).hasValue(crc(HELLO));
    }

    @Test
    void compositeChecksumOfAMultipartUpload_notUsed() {
        HeadObjectResponse composite = HeadObjectResponse.builder().contentLength(5L).checksumCRC32("q0mH1A==-3")
                .checksumType(ChecksumType.COMPOSITE).build();
        HeadObjectResponse suffixOnly = HeadObjectResponse.builder().contentLength(5L).checksumCRC32("q0mH1A==-3").build();

        assertThat(ObjectStore.storedCrc32(composite, 5)).isEmpty();
        assertThat(ObjectStore.storedCrc32(suffixOnly, 5)).isEmpty();
    }

    @Test
    void noChecksumOrAnotherSize_notUsed() {
        assertThat(ObjectStore.storedCrc32(HeadObjectResponse.builder().contentLength(5L).build(), 5)).isEmpty();
        HeadObjectResponse grown = HeadObjectResponse.builder().contentLength(6L).checksumCRC32(base64(crc(HELLO))).build();
        assertThat(ObjectStore.storedCrc32(grown, 5)).isEmpty();
    }

    private static int crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    private static String base64(int crc) {
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt(crc).array());
    }
}
