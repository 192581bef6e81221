-- mysql-b: cart shards 08-15 (CART_SHARD_URLS' second URL).
CREATE DATABASE IF NOT EXISTS cart_08 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_09 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_10 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_11 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_12 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_13 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_14 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS cart_15 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
-- The app's user authenticates with mysql_native_password (the server runs with
-- --mysql-native-password=ON): the MariaDB client library in the app image then needs
-- neither TLS nor the server's RSA key to log in.
ALTER USER 'cart'@'%' IDENTIFIED WITH mysql_native_password BY 'cart';
GRANT ALL PRIVILEGES ON `cart\_%`.* TO 'cart'@'%';
