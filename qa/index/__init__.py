"""The index: FAISS and BM25 (or Milvus), the sentence table, the manifest, the folder on disk, the build."""
