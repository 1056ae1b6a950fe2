using System.Numerics;
using XformerDsl.Kernels;
using Xunit;

namespace XformerDsl.Runtime.Tests.Kernels;

/// <summary>
/// <see cref="TileTranspose"/>, the packing step of every softmax kernel's key and value tiles and of the linear-attention
/// chunks: against the definition, element by element, for whole 16 × 16 register blocks, blocks with row and column
/// edges, blocks too small for a register block, rows far apart, with and without a scale, in float (the register path
/// where the kernels run 512-bit vectors) and double; and it writes nothing outside the transposed block.
/// </summary>
public sealed class TileTransposeTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 1 }, { 3, 5 }, { 16, 16 }, { 64, 64 }, { 17, 33 }, { 40, 72 }, { 64, 40 }, { 15, 64 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_matches_the_definition(int rows, int columns)
    {
        Check<float>(rows, columns, 0.125f);
        Check<float>(rows, columns, 1f);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_matches_the_definition(int rows, int columns) => Check<double>(rows, columns, 0.125);

    private static unsafe void Check<T>(int rows, int columns, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Source rows 2 KiB and more apart, as the heads of a projection are; the destination wider than the block.
        long sourceStride = columns + 509, destinationStride = rows + 7;
        var random = new Random(rows * 1000 + columns);
        var source = new T[rows * sourceStride];
        for (int i = 0; i < source.Length; i++)
            source[i] = T.CreateChecked(random.NextDouble() * 2 - 1);
        var destination = new T[columns * destinationStride];
        var sentinel = T.CreateChecked(12345);
        Array.Fill(destination, sentinel);
        fixed (T* s = source)
        fixed (T* d = destination)
            TileTranspose.Transpose(s, sourceStride, rows, columns, d, destinationStride, scale);
        for (int c = 0; c < columns; c++)
            for (long j = 0; j < destinationStride; j++)
            {
                T actual = destination[c * destinationStride + j];
                if (j < rows)
                    Assert.True(source[j * sourceStride + c] * scale == actual,
                        $"{typeof(T).Name} [{rows} × {columns}]: destination[{c}, {j}] = {actual}, expected source[{j}, {c}] · {scale} = {source[j * sourceStride + c] * scale}.");
                else
                    Assert.True(actual == sentinel, $"{typeof(T).Name} [{rows} × {columns}]: destination[{c}, {j}] past the block was written.");
            }
    }
}
