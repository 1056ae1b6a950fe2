using XformerDsl.Training;
using Xunit;

namespace XformerDsl.Tests.Training;

public class ByteTokenizerTests
{
    [Theory]
    [InlineData("")]
    [InlineData("hello, world\n")]
    [InlineData("héllo ✓ 𝔁 — tabs\tand\r\nnewlines")]
    public void Decode_inverts_encode(string text)
    {
        Assert.Equal(text, ByteTokenizer.Decode(ByteTokenizer.Encode(text)));
    }

    [Fact]
    public void Ids_are_the_utf8_bytes()
    {
        Assert.Equal([104L, 0xC3, 0xA9], ByteTokenizer.Encode("hé"));
        Assert.All(ByteTokenizer.Encode("ü✓𝔁"), id => Assert.InRange(id, 0, ByteTokenizer.VocabularySize - 1));
    }

    [Fact]
    public void Invalid_utf8_decodes_to_replacement_characters()
    {
        Assert.Equal("a\uFFFD", ByteTokenizer.Decode([97, 0xC3]));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(-1)]
    public void Ids_outside_the_byte_range_are_rejected(long id)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteTokenizer.Decode([65, id]));
    }
}
