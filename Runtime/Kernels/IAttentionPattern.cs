namespace XformerDsl.Kernels;

/// <summary>
/// Which keys a query sees, by position: the element-level pattern a generated kernel applies inside the tiles its
/// block layout covers only partially (see <see cref="SoftmaxTileWorker{T, TVec, TOps}.MaskPattern{TPattern}"/>).
/// Generated as a struct, so the JIT compiles the mask loop for exactly that pattern and inlines the test.
/// </summary>
public interface IAttentionPattern
{
    /// <summary>True when the query at position <paramref name="query"/> attends to the key at position <paramref name="key"/>.</summary>
    static abstract bool Sees(int query, int key);
}
