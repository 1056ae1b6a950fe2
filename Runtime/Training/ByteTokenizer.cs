using System.Text;

namespace XformerDsl.Training;

/// <summary>
/// The byte-level tokenizer: a token id is one byte of the text's UTF-8 encoding, so the vocabulary is
/// exactly the 256 byte values, every text has an encoding, and no vocabulary file is needed.
/// </summary>
public static class ByteTokenizer
{
    /// <summary>The number of distinct token ids, 256 (ids 0..255).</summary>
    public const int VocabularySize = 256;

    /// <summary>The token ids of <paramref name="text"/>: its UTF-8 bytes, widened to int64.</summary>
    public static long[] Encode(string text) => Encode(Encoding.UTF8.GetBytes(text));

    /// <summary>The token ids of UTF-8 bytes: each byte widened to int64.</summary>
    public static long[] Encode(ReadOnlySpan<byte> utf8)
    {
        var ids = new long[utf8.Length];
        for (int i = 0; i < utf8.Length; i++)
            ids[i] = utf8[i];
        return ids;
    }

    /// <summary>
    /// The text whose UTF-8 bytes are <paramref name="ids"/>. Byte sequences that are not valid UTF-8
    /// (a model can emit them, or a window can cut a character in two) decode to U+FFFD.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside 0..255.</exception>
    public static string Decode(ReadOnlySpan<long> ids) => Encoding.UTF8.GetString(ToBytes(ids));

    /// <summary>The bytes that <paramref name="ids"/> stand for.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside 0..255.</exception>
    public static byte[] ToBytes(ReadOnlySpan<long> ids)
    {
        var bytes = new byte[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if ((ulong)ids[i] >= VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"Token id at position {i} is {ids[i]}; byte-level ids are 0..255.");
            bytes[i] = (byte)ids[i];
        }
        return bytes;
    }
}
